// UAPI: constants, enums and struct layouts, each declared once.
export * from './constants';
export * from './layout';
export * from './structs';

// The device types this package ships, registered (lib/registry.ts) in the
// kernel's numbering order. The package entries import this module; the core
// never does. A new type is one line here (and its own folder).

import '../mlx5/type';
import '../cxl/type';
import '../bnxt/type';
import '../pds/type';

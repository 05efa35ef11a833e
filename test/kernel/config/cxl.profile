base.config
cxl.config

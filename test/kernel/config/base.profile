base.config

base.config
rust.config

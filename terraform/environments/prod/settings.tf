# SecureBase Edge API, AWS data tier — production: what differs from the other environments.
# The composition itself is ../shared/stack.tf (linked here as stack.tf).
locals {
  settings = {
    secrets_recovery_window_days = 30
    database_instances           = 2
    backup_retention_days        = 35
    skip_final_snapshot          = false
    ws_proxy_min_tasks           = 2
    ws_proxy_max_tasks           = 6
  }
}

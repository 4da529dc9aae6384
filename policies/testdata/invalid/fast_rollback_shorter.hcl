# error: 5:5: fast_rollback_window "2m" is shorter than post_switch_window "5m"
service "svc" {
  blue_green "b" {
    post_switch_window   = "5m"
    fast_rollback_window = "2m"
  }
}

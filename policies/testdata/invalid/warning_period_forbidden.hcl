# error: 9:5: warning_period is only used with action = "rollback_after_warning", not "pause"
service "svc" {
  trigger "t" {
    category       = "performance_degradation"
    query          = "up"
    condition      = "above"
    threshold      = 0.1
    action         = "pause"
    warning_period = "2m"
  }
}

# error: 8:5: action = "rollback_after_warning" needs warning_period
service "svc" {
  trigger "t" {
    category  = "performance_degradation"
    query     = "up"
    condition = "above"
    threshold = 0.1
    action    = "rollback_after_warning"
  }
}

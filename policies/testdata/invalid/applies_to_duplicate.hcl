# error: 9:29: applies_to lists "canary" twice
service "svc" {
  trigger "t" {
    category   = "critical_safety"
    query      = "up"
    condition  = "above"
    threshold  = 1
    action     = "rollback_immediately"
    applies_to = ["canary", "canary"]
  }
}

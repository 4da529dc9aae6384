# error: 9:5: consecutive = 0 is not a whole number of at least 1
service "svc" {
  trigger "t" {
    category    = "critical_safety"
    query       = "up"
    condition   = "above"
    threshold   = 1
    action      = "rollback_immediately"
    consecutive = 0
  }
}

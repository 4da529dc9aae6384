# error: 7:5: threshold must be a number, not the string "0.8"; write threshold = 0.8 without quotes
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = "up"
    condition = "above"
    threshold = "0.8"
    action    = "rollback_immediately"
  }
}

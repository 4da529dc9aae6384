# error: 11:11: trigger "t": duplicate trigger name; trigger "t" is already declared at line 3
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = "up"
    condition = "above"
    threshold = 1
    action    = "rollback_immediately"
  }

  trigger "t" {
    category  = "critical_safety"
    query     = "up"
    condition = "above"
    threshold = 2
    action    = "rollback_immediately"
  }
}

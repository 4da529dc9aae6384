# error: 5:5: query: a placeholder was changed by a function
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = upper("up{service=\"${service}\"}")
    condition = "above"
    threshold = 1
    action    = "rollback_immediately"
  }
}

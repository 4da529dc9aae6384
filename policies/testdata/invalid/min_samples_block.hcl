# error: 9:5: trigger "t": min_samples: missing required argument count
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = "up"
    condition = "above"
    threshold = 1
    action    = "rollback_immediately"
    min_samples {
      query = "sum(up)"
    }
  }
}

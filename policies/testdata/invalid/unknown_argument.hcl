# error: 8:5: unsupported argument "thresold"; did you mean "threshold"?
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = "up"
    condition = "above"
    action    = "rollback_immediately"
    thresold  = 0.8
    threshold = 0.8
  }
}

# error: 5:33: unknown name "srvice"; did you mean "service"? query placeholders are ${service}, ${version}, ${baseline_version} or ${interval}
service "svc" {
  trigger "t" {
    category  = "critical_safety"
    query     = "up{service=\"${srvice}\"}"
    condition = "above"
    threshold = 1
    action    = "rollback_immediately"
  }
}

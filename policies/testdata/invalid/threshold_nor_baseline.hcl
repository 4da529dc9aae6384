# error: 3:3: trigger "t": trigger has neither threshold nor baseline
service "svc" {
  trigger "t" {
    category  = "system_instability"
    query     = "up"
    condition = "above"
    action    = "alert"
  }
}

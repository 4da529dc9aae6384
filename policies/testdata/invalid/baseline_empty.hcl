# error: 8:5: baseline block sets neither ratio nor delta
service "svc" {
  trigger "t" {
    category  = "system_instability"
    query     = "up"
    condition = "above"
    action    = "alert"
    baseline {
    }
  }
}

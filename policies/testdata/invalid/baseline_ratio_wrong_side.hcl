# error: 10:7: ratio = 0.5 is below 1
# error: 19:7: ratio = 1.2 is above 1
service "svc" {
  trigger "up" {
    category  = "system_instability"
    query     = "up"
    condition = "above"
    action    = "alert"
    baseline {
      ratio = 0.5
    }
  }
  trigger "down" {
    category  = "system_instability"
    query     = "up"
    condition = "below"
    action    = "alert"
    baseline {
      ratio = 1.2
    }
  }
}

# error: 3:3: trigger needs a name
service "svc" {
  trigger {
  }
}

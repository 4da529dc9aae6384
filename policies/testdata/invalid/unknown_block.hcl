# error: 3:3: service "svc": unsupported block "triger"; did you mean "trigger"?
service "svc" {
  triger "t" {
  }
}

# error: 4:1: service "svc" is declared twice; the first is at line 2
service "svc" {
}
service "svc" {
}

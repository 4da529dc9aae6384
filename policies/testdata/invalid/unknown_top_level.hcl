# error: 2:1: unsupported block "policy"
policy "p" {
}
service "svc" {
}

# error: 4:3: locals: a refers to itself through local.b -> local.a
# error: 5:3: locals: b refers to itself through local.a -> local.b
locals {
  a = "${local.b}x"
  b = "${local.a}y"
}
service "svc" {
}

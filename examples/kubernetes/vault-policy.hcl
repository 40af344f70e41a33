# The Vault policy of role "keyrot" (Kubernetes auth), for the CronJob beside this file:
#   vault policy write keyrot vault-policy.hcl
#   vault write auth/kubernetes/role/keyrot bound_service_account_names=keyrot \
#     bound_service_account_namespaces=keyrot policies=keyrot ttl=15m

# keyrot's state (KEYROT_STATE=vault://secret/keyrot): rotation records, lease locks, key ledgers,
# audit history. Written with check-and-set; listed by `keyrot status` and `keyrot history`. Each
# plan's record, ledger and audit summary is also copied into its custom_metadata (metadata
# create/update), which OpenBao lists 500 at a time (detailed-metadata): a quiet tick over thousands
# of plans then reads no secret one by one.
path "secret/data/keyrot/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/keyrot/*" {
  capabilities = ["list", "read", "create", "update"]
}
path "secret/detailed-metadata/keyrot/*" {
  capabilities = ["list"]
}

# What the plan's vault-kv2 target needs (`keyrot init` prints these for each target).
path "secret/data/apps/billing/webhook-signing" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/apps/billing/webhook-signing" {
  capabilities = ["create", "update"]
}
path "secret/delete/apps/billing/webhook-signing" {
  capabilities = ["update"]
}
path "secret/undelete/apps/billing/webhook-signing" {
  capabilities = ["update"]
}
path "secret/destroy/apps/billing/webhook-signing" {
  capabilities = ["update"]
}

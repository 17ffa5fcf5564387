# A NixOS host, web1, that receives its secrets from rekey through agenix. No flakes.
#
# The layout this file assumes: one git repository holds the rekey secrets and the NixOS
# configurations.
#
#   rekey.yaml  hosts/web1.yaml  secrets/...   the rekey repository
#   rekey-secrets.nix                          written by `rekey export --format nix > rekey-secrets.nix`
#   machines/web1/configuration.nix            this file
#
# After changing a manifest or a secret, run `rekey apply`, then
# `rekey export --format nix > rekey-secrets.nix`. Commit both, then deploy as usual
# (nixos-rebuild, colmena, morph, ...).
{ config, ... }:
let
  # Each host's `age.secrets` entries, keyed by host name; this host takes its own.
  rekeySecrets = import ../../rekey-secrets.nix;
in
{
  imports = [
    # agenix's NixOS module, without flakes. Pin it for real use: replace `main` with a
    # commit and add `sha256 = "...";` (or use niv, or a channel and <agenix/modules/age.nix>).
    "${builtins.fetchTarball "https://github.com/ryantm/agenix/archive/main.tar.gz"}/modules/age.nix"
  ];

  # rekey encrypted the outputs to this key, the `pubkey` of hosts/web1.yaml.
  age.identityPaths = [ "/etc/ssh/ssh_host_ed25519_key" ];

  # file, owner, group, mode, path and symlink all come from hosts/web1.yaml.
  age.secrets = rekeySecrets.web1;

  # Services read the decrypted file at run time, never at evaluation time.
  systemd.services.app.serviceConfig.LoadCredential = [
    "db-password:${config.age.secrets.db-password.path}"
  ];
}

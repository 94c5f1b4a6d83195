export const MAIN_HELP = `Manage containers through a Docker- and Podman-compatible API service

Usage:
  berth [options] COMMAND

Available Commands:
  system service     Run an API service
  container cleanup  Clean up a container after it exits (run by conmon)
  container healthcheck run  Run a container's healthcheck now (tick: one probe of its scheduler)
  version            Print berth's version

Options:
  -h, --help               help for berth
      --log-level string   Log messages at and above specified level (trace, debug, info, warn, error, fatal, panic) (default "error")
      --root string        Path to the storage root directory (default "/var/lib/berth"; rootless "~/.local/share/berth")
      --runroot string     Path to the runtime state directory (default "/run/berth"; rootless "$XDG_RUNTIME_DIR/berth")
  -v, --version            Print berth's version
`;

export const SERVICE_HELP = `Run an API service

Description:
  Run an API service answering the Docker-compatible API (/v1.41/...) and the libpod API
  (/v5.4.2/libpod/...) on one socket.

  The optional argument URI is the endpoint to listen on: unix:///path/to/socket or
  tcp://host:port. Without it berth listens on unix:///run/berth/berth.sock as root and on
  unix://$XDG_RUNTIME_DIR/berth/berth.sock otherwise. Under systemd socket activation
  (LISTEN_PID/LISTEN_FDS) the socket systemd passes is used instead.

Usage:
  berth system service [options] [URI]

Examples:
  berth system service --time 0 unix:///tmp/berth.sock
  berth system service --time 0 tcp://localhost:8888
  berth system service --tls-cert server.pem --tls-key server-key.pem --tls-verify --tls-ca ca.pem tcp://0.0.0.0:2376
  berth system service --policy /etc/berth/policy.toml --audit-log /var/log/berth/audit.log

Options:
      --audit-log string   Write one JSON line per API call to this file (- for stderr): peer, method,
                           path, objects, status, duration, and what creates and execs asked for
      --audit-log-max-size string
                           Rotate the audit log at this size (k, m, g; 0 never) (default "100m")
      --cors string        Set CORS headers to the value of this option (default: no CORS headers)
  -h, --help               help for service
      --log-level string   Log messages at and above specified level (default "error")
      --policy string      Access policy (TOML): who may call what, and with which privileges;
                           reloaded on SIGHUP (see README, "Access policy")
      --tls-ca string      CA certificate that client certificates must be signed by
      --tls-cert string    Serve HTTPS on tcp:// with this certificate (PEM); reloaded on SIGHUP
      --tls-key string     The certificate's private key (PEM)
      --tls-verify         Require a client certificate signed by --tls-ca (as dockerd --tlsverify)
  -t, --time int           Time until the service exits when idle, in seconds; 0 disables the timeout
                           (default 5, or service_timeout from containers.conf)
`;

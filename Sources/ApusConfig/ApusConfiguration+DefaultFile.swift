/// The commented default configuration file, written by `apus generate-config`. Every key is
/// present with its default (keys without a default are commented out), so parsing it gives
/// `ApusConfiguration.defaults`. `Config/apus.toml` is a copy; a test keeps the two identical.
extension ApusConfiguration {
    public static let defaultFileText = """
    # Apus homeserver configuration (`apus generate-config` writes this file).
    #
    # Every key is optional: a key left out takes the default shown here.
    # Relative paths are resolved against data_dir; data_dir itself against the
    # working directory apus is started from.
    # Sizes are a byte count (1048576) or a string with a K, M or G suffix
    # (powers of 1024), e.g. "50M".

    # The name in user IDs (@alice:localhost) and room aliases; may carry a port
    # ("example.org:8448"). Cannot be changed once users and rooms exist.
    server_name = "localhost"

    # Directory for the database, the signing key and media.
    data_dir = "./apus-data"

    # The http:// or https:// URL clients reach this server at; a missing
    # trailing "/" is added.
    public_baseurl = "http://localhost:8008/"

    [database]
    # SQLite database file.
    path = "apus.db"
    # SQLite synchronous mode: "full" (survives power loss) or "normal" (faster;
    # the last transactions may be lost on power loss).
    synchronous = "full"

    [signing]
    # The server's signing key, "ed25519 <key_id> <seed>"; created on first
    # start when missing.
    key_path = "signing.key"

    # One [[listeners]] block per listening socket. Without any, apus listens on
    # 127.0.0.1:8008 for client traffic, without TLS.
    [[listeners]]
    # Address to bind: an IPv4 or IPv6 address, or a host name.
    bind = "127.0.0.1"
    # TCP port, 1-65535. No two listeners may share bind and port.
    port = 8008
    # What this port serves: "client", "federation", "metrics"; one port may
    # serve several.
    resources = ["client"]
    # Serve HTTPS; needs tls_certificate and tls_private_key (PEM files).
    tls = false
    # tls_certificate = "/etc/apus/tls.crt"
    # tls_private_key = "/etc/apus/tls.key"

    [well_known]
    # base_url answered at /.well-known/matrix/client. Default: public_baseurl.
    # client_base_url = "https://matrix.example.org/"
    # Delegation answered at /.well-known/matrix/server, as "host:port".
    # Default: unset, and that endpoint answers 404.
    # server = "matrix.example.org:443"

    [registration]
    # Allow anyone to create an account.
    enabled = false
    # Require a registration token to create an account.
    require_token = false
    # Enables /_synapse/admin/v1/register (shared-secret registration) when set.
    shared_secret = ""
    # Allow guest access.
    allow_guests = false

    [federation]
    # Talk to other Matrix servers.
    enabled = true
    # Check other servers' TLS certificates (turn off for test deployments only).
    verify_tls = true
    # PEM files trusted besides the system store.
    extra_ca_files = []
    # Allow loopback/private destination addresses (test deployments only).
    allow_private_destinations = false
    # Notary servers asked for other servers' signing keys, e.g. ["matrix.org"].
    trusted_key_servers = []

    [rate_limits]
    # Limit how fast each client may send requests.
    enabled = true
    # Sustained requests per second.
    per_second = 10.0
    # Requests allowed in a burst above the sustained rate.
    burst = 50

    [media]
    # Directory for uploaded and cached remote media.
    path = "media"
    # Largest upload accepted.
    max_upload_size = "50M"
    # Largest image, in pixels, the server decodes (e.g. to make thumbnails).
    max_image_pixels = 32000000
    # Also serve media uploaded while this is true on the deprecated, unauthenticated
    # /_matrix/media/v3 (and r0) download and thumbnail endpoints. Media uploaded
    # while it is false is served only to authenticated clients (/_matrix/client/v1/
    # media), the spec's "freeze"; turning it off later keeps older media reachable.
    allow_legacy_unauthenticated = false
    # Answer /preview_url: the server fetches the page a client asks about (and its
    # og:image, stored as media). Off, the endpoint answers 404 M_UNRECOGNIZED.
    url_preview_enabled = false
    # Fetching URLs users chose must not reach the server's own network. Loopback,
    # private, link-local, CGNAT, multicast and other special-purpose addresses
    # (IPv4 and IPv6, IPv4-mapped too) are always refused; a host is refused when
    # any of its addresses is. Push gateway requests obey these two lists as well.
    # More CIDR ranges to refuse, e.g. ["203.0.113.0/24", "2001:db8:1::/48"].
    url_preview_ip_range_blocklist = []
    # CIDR ranges allowed even though refused above, e.g. a push gateway on the
    # LAN: ["192.168.1.20/32"].
    url_preview_ip_range_allowlist = []

    [http]
    # Largest request body accepted, other than media uploads.
    max_request_body_size = "1M"
    # Origins allowed by CORS; "*" allows any.
    cors_allowed_origins = ["*"]
    # Threads serving HTTP, 0-256 (read at start). 0: one fewer than the CPU cores,
    # at least one, leaving a core to the database writer.
    event_loop_threads = 0

    [log]
    # trace | debug | info | notice | warning | error | critical
    level = "info"
    # Log one line per HTTP request.
    access_log = true

    """
}

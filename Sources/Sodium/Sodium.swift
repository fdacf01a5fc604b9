import CSodium

/// Entry point to libsodium. `sodium_init` is idempotent and thread-safe, so every API calls
/// `ensureInitialized()` rather than relying on a start-up hook.
public enum Sodium {
    private static let initResult: Int32 = sodium_init()

    /// Fails only when libsodium cannot find a source of randomness.
    public static func ensureInitialized() {
        precondition(initResult >= 0, "libsodium failed to initialise")
    }

    /// libsodium's version string, for `--version` and `doctor`.
    public static var version: String {
        String(validatingCString: sodium_version_string()) ?? "unknown"
    }
}

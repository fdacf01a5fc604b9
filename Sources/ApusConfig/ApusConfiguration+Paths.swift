/// Absolute paths of the files the configuration names; relative paths live under `data_dir`.
extension ApusConfiguration {
    /// `database.path`, absolute.
    public var databasePath: String { resolvePath(database.path) }
    /// `signing.key_path`, absolute.
    public var signingKeyPath: String { resolvePath(signing.keyPath) }
    /// `media.path`, absolute.
    public var mediaPath: String { resolvePath(media.path) }

    /// Any path from the configuration (TLS files, CA files, ...) made absolute against `dataDir`.
    public func resolvePath(_ path: String) -> String {
        PathResolution.absolute(path, relativeTo: dataDir)
    }

    /// `well_known.client_base_url`, falling back to `public_baseurl`.
    public var clientBaseURL: String { wellKnown.clientBaseURL ?? publicBaseURL }
}

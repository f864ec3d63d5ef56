/// The release version: the one place it is written. `attributiond --version`
/// prints it, and `scripts/package` asks the built binary for it to name the
/// `.tar.gz` and the `.deb`.
enum Version {
    static let current = "0.1.0"
}

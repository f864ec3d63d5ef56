import Crypto
import Foundation

/// Comparison of secrets (API tokens) whose duration does not reveal them.
public enum ConstantTime {
    /// Compares the HMACs of `a` and `b` under a fresh random key: the digests
    /// have a fixed length and are compared in constant time, so neither where
    /// the texts first differ nor their lengths show in the time taken.
    public static func equals(_ a: String, _ b: String) -> Bool {
        let key = SymmetricKey(size: .bits256)
        let mac = HMAC<SHA256>.authenticationCode(for: Data(a.utf8), using: key)
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Data(b.utf8), using: key)
    }
}

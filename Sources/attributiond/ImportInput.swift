import AttributionCore
import Foundation

/// One file given to `import`, read twice: once to check every item, once to store them.
///
/// Standard input cannot be read twice, so the checking pass copies it to a
/// temporary file (0600, removed at the end) that the storing pass reads.
final class ImportInput {
    let name: String
    private let path: String?
    private var spool: (descriptor: Int32, path: String)?

    init(_ argument: String) throws {
        if argument == "-" {
            name = "standard input"
            path = nil
        } else {
            name = argument
            path = argument
            // Every file must be readable before anything is read, so a typo stores nothing.
            let descriptor = open(argument, O_RDONLY)
            guard descriptor >= 0 else {
                throw UsageError(message: "cannot read \(argument): \(String(cString: strerror(errno)))")
            }
            close(descriptor)
        }
    }

    deinit {
        if let spool {
            close(spool.descriptor)
            unlink(spool.path)
        }
    }

    /// The size in bytes when it is known (a regular file), for the progress line.
    var size: Int64? {
        guard let path, let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            attributes[.type] as? FileAttributeType == .typeRegular
        else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value
    }

    /// Reads every item for the checking pass.
    func check(limit: Int, _ body: (JSONItemReader<ImportSource>.Output, Int64) throws -> Void) throws {
        if path == nil {
            let template = NSTemporaryDirectory() + "attributiond-import-XXXXXX"
            var bytes = Array(template.utf8CString)
            let descriptor = mkstemp(&bytes)  // 0600
            guard descriptor >= 0 else {
                throw RuntimeFailure(message: "cannot keep standard input for the import: \(String(cString: strerror(errno)))")
            }
            spool = (descriptor, String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        try read(limit: limit, copyTo: spool?.descriptor, body)
    }

    /// Reads every item again for the storing pass.
    func store(limit: Int, _ body: (JSONItemReader<ImportSource>.Output, Int64) throws -> Void) throws {
        try read(limit: limit, copyTo: nil, body)
    }

    private func read(
        limit: Int, copyTo copy: Int32?,
        _ body: (JSONItemReader<ImportSource>.Output, Int64) throws -> Void
    ) throws {
        let descriptor: Int32
        if let path {
            descriptor = open(path, O_RDONLY)
        } else if copy != nil {
            descriptor = dup(0)
        } else {
            descriptor = open(spool!.path, O_RDONLY)
        }
        guard descriptor >= 0 else { throw RuntimeFailure(message: "cannot read \(name): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var reader = JSONItemReader(source: ImportSource(descriptor: descriptor, copy: copy), limit: limit)
        do {
            while let output = try reader.next() { try body(output, reader.bytesRead) }
        } catch let error as FileDescriptorSource.ReadError {
            throw RuntimeFailure(message: "cannot read \(name): \(error)")
        }
    }
}

/// A file descriptor, optionally copied to another as it is read (standard input to its spool file).
struct ImportSource: ByteSource {
    var file: FileDescriptorSource
    let copy: Int32?

    init(descriptor: Int32, copy: Int32?) {
        file = FileDescriptorSource(descriptor: descriptor)
        self.copy = copy
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try file.read(into: buffer)
        if let copy, n > 0 {
            var written = 0
            while written < n {
                let w = write(copy, buffer.baseAddress! + written, n - written)
                if w < 0 && errno == EINTR { continue }
                guard w > 0 else { throw FileDescriptorSource.ReadError(errno: errno) }
                written += w
            }
        }
        return n
    }
}

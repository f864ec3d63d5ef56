import ArgumentParser
import Foundation
import Hummingbird

/// The baseline server: Hummingbird reading the body and answering 200, nothing else.
struct BareServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bare-server", abstract: "Serve the baseline endpoint.")
    @Option var port = 0

    func run() async throws {
        let router = Router()
        router.post("/webhooks/stripe") { request, _ -> Response in
            var request = request
            _ = try await request.collectBody(upTo: 1 << 20)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"received":true}"#)))
        }
        try await Self.serve(router, port: port)
    }

    /// Serves `router` on loopback and prints the bound port for the benchmark to read.
    static func serve(_ router: Router<BasicRequestContext>, port: Int) async throws {
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                let line = "listening on 127.0.0.1:\(channel.localAddress?.port ?? 0)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        try await app.runService()
    }
}

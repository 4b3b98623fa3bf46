import Foundation
import NIOSSL
import SwitchboardClient
import SwitchboardCore
import SwitchboardServerTestSupport
import SwitchboardTestKit
import Testing

/// The host on https:// and wss:// with a certificate made for the test (openssl), and the Swift
/// client's `secure` sockets trusting it.
@Suite("TLS on the same port", .serialized)
struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 and localhost, and its key, in a new folder.
    static func makeCertificate() throws -> (cert: String, key: String) {
        let directory = NSTemporaryDirectory() + "switchboard-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (cert, key) = (directory + "/cert.pem", directory + "/key.pem")
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a certificate")
        return (cert, key)
    }

    @Test("--tls-cert/--tls-key: the Swift client over wss:// and https:// transports, the browser client file over https, plain HTTP refused")
    func host() async throws {
        let (cert, key) = try Self.makeCertificate()
        let host = try await HostProcess(["--app", "echo", "--tls-cert", cert, "--tls-key", key])
        defer { host.stop() }
        #expect(host.banner.contains("https://127.0.0.1:"))
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert))

        for transport in ["websocket", "xhr-polling", "htmlfile", "server-events", "jsonp-polling"] {
            let socket = try Socket(port: host.port, options: socketOptions(transport) { $0.secure = true }, tlsConfiguration: tls)
            let probe = Probe(socket)
            try await socket.connect()
            #expect(socket.transport == transport)
            socket.send("over TLS on \(transport)")
            #expect(try await probe.messages(count: 1) == [.text("over TLS on \(transport)")])
            socket.disconnect()
        }

        // The browser client's file, over https with the test's CA (curl).
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert, "https://127.0.0.1:\(host.port)/socket.io/socket.io.js"]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        curl.waitUntilExit()
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "200")

        // Plain HTTP to the TLS port is refused (the connection closes), and TLS goes on.
        let plain = try await HTTPTestConnection.connect(port: host.port)
        try await plain.sendRaw("GET /socket.io/socket.io.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try await plain.waitForClose()
        // A socket that does not trust the certificate does not connect.
        let untrusted = try Socket(port: host.port, options: socketOptions("websocket") { $0.secure = true })
        await #expect(throws: (any Error).self) { try await untrusted.connect() }
        let again = try Socket(port: host.port, options: socketOptions("websocket") { $0.secure = true }, tlsConfiguration: tls)
        try await again.connect()
        #expect(again.connected)
        again.disconnect()
    }
}

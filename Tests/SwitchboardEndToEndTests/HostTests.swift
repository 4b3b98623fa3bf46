import Foundation
import SwitchboardCore
import SwitchboardTestKit
import Testing

/// The `switchboard` executable as a user runs it: a real process on a free port.
final class HostProcess: Sendable {
    let process: Process
    let port: Int

    /// Starts the built `switchboard` binary (it sits next to the test bundle) with `arguments`.
    init(_ arguments: [String]) async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("switchboard")
        let candidates = [binary, Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("switchboard")]
        let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--port", "0", "--log-level", "warning"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens: "... http://127.0.0.1:PORT/ ..."
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        let port = text.range(of: "127.0.0.1:").flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) }
        self.process = process
        self.port = try #require(port, "no port in \(text)")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

@Suite("the switchboard host")
struct HostTests {
    @Test("with no app argument it serves the chat demo, and two clients chat through it")
    func chatDemo() async throws {
        let host = try await HostProcess([])
        defer { host.stop() }
        let http = try await HTTPTestConnection.connect(port: host.port)
        let page = try await http.request("GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["Content-Type"] == "text/html; charset=UTF-8")
        #expect(page.bodyString.contains("Switchboard chat"))
        for asset in ["/chat.js", "/mini-client.js", "/chat.css"] {
            #expect(try await http.request("GET", asset).status == 200, "\(asset)")
        }

        // Ada over WebSocket, Bob over xhr-polling.
        let ada = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        #expect(try await ada.receiveText().hasPrefix("~m~22~m~"))
        let bobHTTP = try await HTTPTestConnection.connect(port: host.port)
        let handshake = try await bobHTTP.request("GET", "/socket.io/xhr-polling//1").bodyString
        let bob = String(handshake.dropFirst("~m~22~m~".count))
        _ = try await bobHTTP.request("GET", "/socket.io/xhr-polling/\(bob)/2")  // history and users

        try await ada.send(text: framed(#"~j~{"nickname":"ada"}"#))
        var joined = ""
        while !joined.contains("ada joined") { joined = try await ada.receiveText() }
        #expect(joined.contains(#""users":["ada"]"#))
        let post = try await HTTPTestConnection.connect(port: host.port)
        _ = try await post.request(
            "POST", "/socket.io/xhr-polling/\(bob)/send", body: formBody([("data", framed(#"~j~{"text":"hi ada"}"#))]))
        var heard = ""
        while !heard.contains("hi ada") { heard = try await ada.receiveText() }
        #expect(heard.contains(#""from":"anonymous""#))
        try await ada.send(text: framed(#"~j~{"text":"hello bob 😀"}"#))
        var polled = ""
        while !polled.contains("hello bob") {
            polled = try await bobHTTP.request("GET", "/socket.io/xhr-polling/\(bob)/3").bodyString
        }
        #expect(polled.contains(#""from":"ada""#))
    }

    @Test("--app echo answers strings as strings and JSON as JSON; broadcast: goes to the others")
    func echoApp() async throws {
        let host = try await HostProcess(["--app", "echo", "--transports", "websocket"])
        defer { host.stop() }
        let a = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        let b = try await WebSocketTestClient.connect(port: host.port, path: "/socket.io/websocket")
        _ = try await a.receiveText()
        _ = try await b.receiveText()
        try await a.send(text: framed("plain", #"~j~{"k":"v"}"#))
        #expect(try await a.receiveText() == framed("plain"))
        #expect(try await a.receiveText() == framed(#"~j~{"k":"v"}"#))
        try await a.send(text: framed("broadcast:news"))
        #expect(try await b.receiveText() == framed("news"))
        let http = try await HTTPTestConnection.connect(port: host.port)
        #expect(try await http.request("GET", "/socket.io/xhr-polling//1").status == 404, "xhr-polling is not enabled")
    }
}

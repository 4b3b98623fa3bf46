// A custom host: the core, two transports and the application's own routes, nothing else.
// Its Package.swift entry links SwitchboardCore, SwitchboardServer, SwitchboardWebSocket and
// SwitchboardXHRPolling and applies the SwitchboardCodegen plugin, which generates
// `TransportRegistry.linked` from the transports this target links: websocket and xhr-polling.
import Foundation
import SwitchboardCore
import SwitchboardServer

let port = CommandLine.arguments.firstIndex(of: "--port").flatMap { Int(CommandLine.arguments[$0 + 1]) } ?? 8090

let server = try HTTPServer(port: port) { request in
    switch request.path {
    case "/": HTTPResponse(body: "<h1>My application</h1>")
    case "/health": HTTPResponse(contentType: "text/plain; charset=UTF-8", body: "ok")
    default: HTTPResponse(status: .notFound, contentType: "text/plain; charset=UTF-8", body: "not mine: \(request.path)")
    }
}
let listener = try Listener.listen(server, transports: .linked)
listener.on(.clientMessage) { message, client in client.send(message) }
try await server.start()
let banner = "custom host on http://127.0.0.1:\(server.port ?? port)/ with \(listener.transports.names.joined(separator: ", "))\n"
FileHandle.standardOutput.write(Data(banner.utf8))
try await server.run()

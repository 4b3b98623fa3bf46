// The README's 15-line server, built by CI so it cannot rot.
import SwitchboardCore
import SwitchboardServer
import SwitchboardWebSocket
import SwitchboardXHRPolling

let server = try HTTPServer(port: 8080) { request in               // your own routes
    request.path == "/" ? HTTPResponse(body: "<h1>Hello world</h1>") : nil
}
let transports = TransportRegistry(SwitchboardWebSocketTransports.all + SwitchboardXHRPollingTransports.all)
let listener = try Listener.listen(server, transports: transports)  // the seed's io.listen(server)
listener.on(.clientConnect) { client in client.send("welcome, \(client.sessionId)") }
listener.on(.clientMessage) { message, client in client.broadcast(message) }
listener.on(.clientDisconnect) { client, reason in print(client.sessionId, "left:", reason) }
try await server.run()

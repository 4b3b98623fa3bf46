import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SwitchboardCore
import SwitchboardHummingbird
import SwitchboardWebSocket
import SwitchboardXHRPolling

/// A Hummingbird 2 application whose router answers `GET /health` and `GET /` (a chat page), and
/// whose Switchboard, on the same port, serves the chat over websocket and xhr-polling.
@main
struct HummingbirdChat: AsyncParsableCommand {
    @Option(help: "Port to bind (0 picks a free one).") var port = 8080

    func run() async throws {
        let listener = try Listener(
            transports: TransportRegistry(SwitchboardWebSocketTransports.all + SwitchboardXHRPollingTransports.all))
        // The chat: every message goes to everyone, its sender included.
        listener.on(.clientMessage) { message, _ in listener.broadcast(message) }

        let router = Router()
        router.get("health") { _, _ in HTTPResponse.Status.ok }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: Self.page)))
        }
        let app = Application(
            router: router, server: .switchboard(listener),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                let banner = "hummingbird-chat: http://127.0.0.1:\(channel.localAddress?.port ?? 0)/\n"
                FileHandle.standardOutput.write(Data(banner.utf8))
            })
        try await app.runService()
    }

    static let page = """
        <!doctype html><meta charset="utf-8"><title>Hummingbird chat</title>
        <ul id="log"></ul><form id="f"><input id="t" autocomplete="off"><button>Send</button></form>
        <script src="/socket.io/socket.io.js"></script>
        <script>
        var s = new io.Socket(null, {transports: ['websocket', 'xhr-polling']});
        s.on('message', function (m) { var li = document.createElement('li'); li.textContent = m; document.getElementById('log').appendChild(li); });
        s.connect();
        document.getElementById('f').onsubmit = function (e) { e.preventDefault(); s.send(document.getElementById('t').value); document.getElementById('t').value = ''; };
        </script>
        """
}

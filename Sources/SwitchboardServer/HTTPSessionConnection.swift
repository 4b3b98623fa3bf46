import NIOCore
import NIOHTTP1
import SwitchboardCore

/// A poll or a stream: an HTTP response that carries a session's payloads (transport kinds
/// `poll` and `stream`). It forwards the session's calls to the HTTP handler on its channel's loop.
final class HTTPSessionConnection: SessionConnection, @unchecked Sendable {
    let descriptor: TransportDescriptor
    let session: Client
    let index: String?
    let style: ConnectionStyle
    private let handler: NIOLoopBound<SessionHTTPHandler>

    var transportName: String { descriptor.name }

    init(descriptor: TransportDescriptor, session: Client, index: String?, handler: SessionHTTPHandler, eventLoop: any EventLoop) {
        self.descriptor = descriptor
        self.session = session
        self.index = index
        self.style = descriptor.kind == .poll ? .poll : .persistent
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
    }

    private func wrap(_ payload: String, _ sequence: Int) -> String {
        descriptor.wrap(payload: payload, sessionId: session.sessionId, sequence: sequence, index: index)
    }

    func write(payload: String, sequence: Int) {
        let text = wrap(payload, sequence)
        handler.eventLoop.execute { self.handler.value.streamWrite(self, text: text) }
    }

    func complete(payload: String, sequence: Int) {
        let text = wrap(payload, sequence)
        handler.eventLoop.execute { self.handler.value.finishPoll(self, body: text) }
    }

    func close() {
        let empty = wrap("", 0)
        handler.eventLoop.execute { self.handler.value.closeHeld(self, emptyBody: empty) }
    }

    func reject() {
        handler.eventLoop.execute { self.handler.value.rejectHeld(self) }
    }
}

// TEMPORARY
import SwitchboardCore
import SwitchboardWebSocket
import SwitchboardXHRPolling
extension TransportRegistry {
    public static let linked = TransportRegistry(SwitchboardWebSocketTransports.all + SwitchboardXHRPollingTransports.all)
}

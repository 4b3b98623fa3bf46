import SwitchboardCore
import Synchronization
import Testing

@Suite struct HandlerRegistryTests {
    @Test func handlersRunInRegistrationOrderUntilRemoved() {
        let calls = Mutex<[String]>([])
        var list = HandlerList<@Sendable (String, Int) -> Void>()
        #expect(list.isEmpty)
        for id in 1...3 {
            list.append(
                .init(id: id, handler: { text, number in calls.withLock { $0.append("\(id):\(text)\(number)") } }))
        }
        list.emit { $0("a", 1) }
        list.remove(2)
        list.remove(42)
        list.emit { $0("b", 2) }
        #expect(calls.withLock { $0 } == ["1:a1", "2:a1", "3:a1", "1:b2", "3:b2"])
        #expect(list.map(\.id) == [1, 3])
    }
}

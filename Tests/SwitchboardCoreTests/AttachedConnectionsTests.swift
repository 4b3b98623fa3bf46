import SwitchboardCore
import Testing

@testable import SwitchboardCore

/// A session's attached connections, bare: one inline, more in a dictionary, found and removed by id.
@Suite("attached connections")
struct AttachedConnectionsTests {
    @Test("one inline, a second beside it; each found and removed by its id; then the inline slot is reused")
    func attachAndRemove() {
        var attached = AttachedConnections()
        let (a, b, c) = (IdleConnection(), IdleConnection(), IdleConnection())
        let (ida, idb, idc) = (ConnectionID(1), ConnectionID(2), ConnectionID(3))
        attached[ida] = a
        attached[idb] = b
        #expect(attached[ida] === a && attached[idb] === b && attached[idc] == nil)
        #expect(attached.values.count == 2)
        #expect(attached.removeValue(forKey: ida) === a)
        #expect(attached[ida] == nil && attached.removeValue(forKey: ida) == nil)
        attached[idc] = c
        #expect(attached[idc] === c && attached[idb] === b)
        attached[idb] = nil
        #expect(attached.values.map { ObjectIdentifier($0) } == [ObjectIdentifier(c)])
        attached.removeAll()
        #expect(attached.values.isEmpty)
    }
}

import NIOCore

/// Something that waits for one deadline at a time in its loop's ``LoopTimers``: a session (its
/// heartbeats, poll durations, grace periods) or an HTTP connection (its request timeouts).
package protocol LoopTimerOwner: AnyObject {
    /// The deadline it waits for now; an entry for any other deadline is stale.
    var armedDeadline: NIODeadline? { get }
    /// Its armed deadline came. Called on the loop.
    func timerFired()
}

/// The timers of one event loop's sessions and connections: their deadlines in one heap, served
/// by one task scheduled on the loop for the earliest. An owner re-arming its timer pushes its new
/// deadline; the old entry is skipped when it comes up, and the heap is rebuilt without such
/// entries once they are most of it. Next to a task scheduled per owner, this keeps no promise,
/// future or closure per session or connection (docs/architecture.md §6). Used on its loop only;
/// ``Listener/loopTimers(for:)`` gives a loop's.
package final class LoopTimers: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var heap: [Entry] = []
    private var task: Scheduled<Void>?
    private var taskDeadline: NIODeadline?
    private var firing = false
    /// Entries no owner waits for any more (counted when an owner re-arms or disarms).
    private var stale = 0

    struct Entry {
        let deadline: NIODeadline
        let owner: any LoopTimerOwner
        /// Whether the owner still waits for this deadline.
        var isLive: Bool { owner.armedDeadline == deadline }
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// How many deadlines the heap holds, live or not (for tests).
    var count: Int { heap.count }

    /// Moves `owner`'s deadline from `old` to `new` (either may be nil): at `new` it gets
    /// `timerFired()`, unless its `armedDeadline` has changed by then. The owner sets its
    /// `armedDeadline` to `new` first.
    package func rearm(_ owner: any LoopTimerOwner, from old: NIODeadline?, to new: NIODeadline?) {
        eventLoop.assertInEventLoop()
        if old != nil { stale += 1 }
        guard let new else { return }
        push(Entry(deadline: new, owner: owner))
        if heap.count > 1024, stale > heap.count / 2 { rebuild() }
        if !firing, taskDeadline.map({ new < $0 }) ?? true { schedule(at: new) }
    }

    private func schedule(at deadline: NIODeadline) {
        task?.cancel()
        taskDeadline = deadline
        task = eventLoop.scheduleTask(deadline: deadline) { [self] in fire() }
    }

    private func fire() {
        task = nil
        taskDeadline = nil
        firing = true
        let now = eventLoop.now
        while let first = heap.first, first.deadline <= now {
            pop()
            if first.isLive {
                first.owner.timerFired()
            } else {
                stale = max(0, stale - 1)
            }
        }
        firing = false
        if let next = heap.first?.deadline { schedule(at: next) }
    }

    private func rebuild() {
        heap = heap.filter(\.isLive).sorted { $0.deadline < $1.deadline }  // a sorted array is a heap
        stale = 0
    }

    // MARK: Binary min-heap on `deadline`

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}

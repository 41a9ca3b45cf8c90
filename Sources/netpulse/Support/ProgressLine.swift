import Foundation
import NetPulse

/// A live progress line on standard error (done/total, failed, rate, ETA), drawn only on a terminal.
final class ProgressLine {
    // Only touched from the single task that consumes the results stream.
    private let total: Int
    private let enabled: Bool
    private let start = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var done = 0
    private var failed = 0

    init(total: Int, quiet: Bool) {
        self.total = total
        self.enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    func record(_ result: DeviceResult) {
        done += 1
        if !result.success { failed += 1 }
        guard enabled else { return }
        let now = ContinuousClock.now
        if done == total || now - lastDraw >= .milliseconds(100) {
            lastDraw = now
            draw(now: now)
        }
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    private func draw(now: ContinuousClock.Instant) {
        let elapsed = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let text = String(
            format: "\r\u{1B}[K%d/%d done, %d failed, %.0f/s, ETA %.1fs", done, total, failed, rate, eta
        )
        FileHandle.standardError.write(Data(text.utf8))
    }
}

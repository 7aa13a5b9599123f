import Foundation

/// Renders training progress on stderr: a redrawn bar on a terminal, plain log lines otherwise
/// (one every few seconds, and one at every validation).
package final class ProgressReporter {
    private let handle: FileHandle
    private let interactive: Bool
    private var lastPlain = Date.distantPast
    private let plainInterval: TimeInterval

    package init(handle: FileHandle = .standardError, interactive: Bool? = nil, plainInterval: TimeInterval = 5) {
        self.handle = handle
        self.interactive = interactive ?? (isatty(handle.fileDescriptor) == 1)
        self.plainInterval = plainInterval
    }

    package func report(_ p: TrainingProgress) {
        if interactive {
            let width = 24
            let fraction = min(1, Double(p.step) / Double(max(p.totalSteps, 1)))
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            write("\r\u{1B}[2K" + "\(bar) " + Self.line(p))
            if p.isValidation { write("\n") }
        } else if p.isValidation || Date().timeIntervalSince(lastPlain) >= plainInterval {
            write(Self.line(p) + "\n")
            lastPlain = Date()
        }
    }

    /// Ends the bar's line.
    package func finish() { if interactive { write("\n") } }

    static func line(_ p: TrainingProgress) -> String {
        var parts = [
            "step \(p.step)/\(p.totalSteps)",
            "eta \(p.etaSeconds.map(Self.duration) ?? "--")",
            String(format: "%.1fK B/s", p.bytesPerSecond / 1000),
            String(format: "loss %.4f", p.trainLoss),
        ]
        parts.append(p.validationLoss.map { String(format: "val %.4f", $0) } ?? "val --")
        parts.append(String(format: "lr %.2e", p.learningRate))
        return parts.joined(separator: "  ")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }

    private func write(_ text: String) { handle.write(Data(text.utf8)) }
}

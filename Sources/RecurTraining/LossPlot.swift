import Foundation

/// The train and validation loss curves as a self-contained SVG (no scripts, no external fonts).
package enum LossPlot {
    package static func svg(train: [LossPoint], validation: [LossPoint], title: String = "Recur training loss")
        -> String
    {
        let width = 720.0, height = 420.0
        let left = 64.0, right = 20.0, top = 40.0, bottom = 48.0
        let all = train + validation
        let maxStep = Double(max(all.map(\.step).max() ?? 1, 1))
        var lo = all.map(\.loss).min() ?? 0, hi = all.map(\.loss).max() ?? 1
        if hi - lo < 1e-9 { lo -= 0.5; hi += 0.5 }
        let pad = (hi - lo) * 0.05
        lo -= pad
        hi += pad
        func x(_ step: Int) -> Double { left + Double(step) / maxStep * (width - left - right) }
        func y(_ loss: Double) -> Double { top + (hi - loss) / (hi - lo) * (height - top - bottom) }
        func path(_ points: [LossPoint]) -> String {
            points.map { String(format: "%.1f,%.1f", x($0.step), y($0.loss)) }.joined(separator: " ")
        }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>

            """
        for i in 0...5 {
            let value = lo + (hi - lo) * Double(i) / 5
            let yy = y(value)
            s += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left, yy,
                width - right, yy)
            s += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>\n", left - 6, yy + 4, value)
        }
        for i in 0...5 {
            let step = Int(maxStep * Double(i) / 5)
            s += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>\n", x(step), height - bottom + 18,
                step)
        }
        s += String(
            format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">step</text>\n", (left + width - right) / 2,
            height - 8)
        s += String(
            format:
                "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">nats/byte</text>\n",
            (top + height - bottom) / 2, (top + height - bottom) / 2)
        s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(path(train))\"/>\n"
        s += "<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\" points=\"\(path(validation))\"/>\n"
        for p in validation {
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#d62728\"/>\n", x(p.step), y(p.loss))
        }
        let lx = width - right - 150
        s +=
            "<line x1=\"\(lx)\" y1=\"\(top + 10)\" x2=\"\(lx + 24)\" y2=\"\(top + 10)\" stroke=\"#1f77b4\" stroke-width=\"2\"/>"
        s += "<text x=\"\(lx + 30)\" y=\"\(top + 14)\">train (smoothed)</text>\n"
        s +=
            "<line x1=\"\(lx)\" y1=\"\(top + 28)\" x2=\"\(lx + 24)\" y2=\"\(top + 28)\" stroke=\"#d62728\" stroke-width=\"2\"/>"
        s += "<text x=\"\(lx + 30)\" y=\"\(top + 32)\">validation</text>\n"
        s += "</svg>\n"
        return s
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

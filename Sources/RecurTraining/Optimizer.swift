import Foundation

/// Adam (Kingma & Ba) over one flat parameter buffer, with PyTorch's bias correction and epsilon placement.
package struct Adam: Sendable, Codable, Equatable {
    package var beta1: Float = 0.9
    package var beta2: Float = 0.999
    package var epsilon: Float = 1e-8
    package var weightDecay: Float = 0
    package private(set) var step = 0
    var m: [Float]
    var v: [Float]

    package init(parameterCount: Int) {
        m = [Float](repeating: 0, count: parameterCount)
        v = m
    }

    init(step: Int, m: [Float], v: [Float]) {
        self.step = step
        self.m = m
        self.v = v
    }

    /// One update: params -= lr · m̂ / (√v̂ + ε).
    package mutating func update(parameters: inout [Float], gradients: [Float], learningRate lr: Float) {
        precondition(parameters.count == m.count && gradients.count == m.count)
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay
        let c1 = 1 - Float(pow(Double(b1), Double(step)))
        let c2 = (1 - Float(pow(Double(b2), Double(step)))).squareRoot()
        let stepSize = lr / c1
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        for i in 0..<p.count {
                            let gi = g[i] + wd * p[i]
                            m[i] = b1 * m[i] + (1 - b1) * gi
                            v[i] = b2 * v[i] + (1 - b2) * gi * gi
                            p[i] -= stepSize * m[i] / (v[i].squareRoot() / c2 + eps)
                        }
                    }
                }
            }
        }
    }
}

/// Scales gradients so that their global L2 norm is at most `maxNorm`; returns the norm before clipping.
@discardableResult
package func clipGradientNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
    var sum: Double = 0
    for g in gradients { sum += Double(g) * Double(g) }
    let norm = Float(sum.squareRoot())
    if maxNorm > 0 && norm > maxNorm {
        let scale = maxNorm / (norm + 1e-6)
        for i in gradients.indices { gradients[i] *= scale }
    }
    return norm
}

/// Learning rate over training: linear warm-up, then cosine or step decay, or constant.
package struct LearningRateSchedule: Sendable, Codable, Equatable {
    package enum Decay: String, Sendable, Codable, CaseIterable { case cosine, step, constant }
    package var peak: Float
    /// The floor, as a fraction of the peak.
    package var minimumFraction: Float = 0.1
    package var warmupSteps: Int = 100
    package var decay: Decay = .cosine

    package init(peak: Float, minimumFraction: Float = 0.1, warmupSteps: Int = 100, decay: Decay = .cosine) {
        self.peak = peak
        self.minimumFraction = minimumFraction
        self.warmupSteps = warmupSteps
        self.decay = decay
    }

    /// The rate at `step` (0-based) when training is `progress` ∈ [0, 1] of the way through.
    package func rate(step: Int, progress: Double) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let p = Float(min(max(progress, 0), 1))
        let floor = peak * minimumFraction
        switch decay {
        case .constant: return peak
        case .cosine: return floor + (peak - floor) * 0.5 * (1 + cos(Float.pi * p))
        case .step:  // ×0.1 at 50%, ×0.01 at 75% (never below the floor)
            let factor: Float = p < 0.5 ? 1 : (p < 0.75 ? 0.1 : 0.01)
            return max(peak * factor, floor)
        }
    }
}

// `make demo`: tunes the seed tutorial's objective with TPE, natively in Swift.
import SwiftTune

let space: SpaceNode = [
    "steps": 100,
    "width": .uniform(0, 20),
    "height": .uniform(-100, 100),
    "activation": .choice(["relu", "tanh"]),
]
print(try SearchSpace(space).json.serialized())

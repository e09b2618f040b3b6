"""How generative models learn: five families of small generators trained on 28×28 grey images."""

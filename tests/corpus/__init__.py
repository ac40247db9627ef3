"""A corpus of hand-written numpy networks with the backpropagation mistakes students make."""

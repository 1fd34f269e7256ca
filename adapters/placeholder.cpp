namespace corridor {}

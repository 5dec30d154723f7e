// Placeholder replaced by the app/ owner.
int main() { return 0; }

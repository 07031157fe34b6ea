// Placeholder entry point; the command line lands with the app work.
int main() { return 1; }
